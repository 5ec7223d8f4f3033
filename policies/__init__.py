"""Pure decision logic over the dialogue state (task, slot, fallback and recommendation policies)."""
