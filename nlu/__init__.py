"""Natural-language understanding: data loading, the spaCy pipeline, the joint BERT model, the parser.

Depends on nothing in ``assistant/`` or ``policies/``.
"""
