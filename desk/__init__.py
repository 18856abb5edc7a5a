"""The agent desk: a web app (aiohttp, its own process) where people take over chats.

Agents log in, see the chats waiting in their languages and skills, claim one, read the bot's
transcript and summary, reply (the gateway delivers on the customer's channel), note,
transfer and close.  Supervisors also see the queues, the agents and satisfaction.  All state
is in Redis (``cardcare.handoff``, ``cardcare.handoff_log``), so a restart loses nothing.
"""
