"""CardCare's rasa-sdk action server: one module per skill."""
