"""The default assistant's data; a package only so that ``data.actions`` is importable."""
