"""The default assistant's fulfilment actions (rasa-sdk), served by
``python -m rasa_sdk --actions data.actions`` or run in-process by ``assistant.actions``."""
