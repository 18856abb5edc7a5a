"""Channel adapters (Telegram, WeChat, web chat) and the human-handoff router.

Not built yet: until the channels work lands, conversations reach Rasa through its REST
channel (`make chat`, `credentials.yml`).
"""
