"""Slot names the banking actions share, defined once (they must match domain.yml)."""

from __future__ import annotations

from cardcare.conversation import EARLIER_SLOT, IDENTITY_DETAILS_SLOT, OTP_CODE_SLOT

LANGUAGE = "language"
REQUESTED_SLOT = "requested_slot"
# Filled from NLU entities.
CARD_LAST4 = "card_last4"
AMOUNT = "amount"
MONTHS = "months"
MERCHANT = "merchant"
PERIOD = "period"
# Verification.
NEEDS_VERIFICATION = "needs_verification"  # featurized: rules start verify_form on it
PENDING_ACTION = "pending_action"  # the banking action to resume once verified
VERIFICATION = "verification"  # None, "verified", "locked", "unavailable"
CHALLENGE_ID = "challenge_id"
IDENTITY_DETAILS = IDENTITY_DETAILS_SLOT  # only ever holds a marker, never the details
OTP_CODE = OTP_CODE_SLOT  # only ever holds a marker, never the code
# A banking flow: the action waiting for an answer, the step it waits at, what it collected.
AWAITING = "awaiting"
AWAITING_STEP = "awaiting_step"
CARD_ID = "card_id"
TRANSACTION_ID = "transaction_id"
DISPUTE_REASON = "dispute_reason"
ADDRESS_ID = "address_id"
OFFER_ID = "offer_id"
OPTION_ID = "option_id"
LIMIT_KIND = "limit_kind"
AUTOPAY_MODE = "autopay_mode"
LOCK_WAY = "lock_way"  # "lock" or "unlock" (actions/cards.py)
FRAUD_TRANSACTIONS = "fraud_transactions"
# Handing over to a person (actions/handoff.py): why, if an earlier turn offered it (a bank
# failure, a lost card); what the user said when complaining; what the bot did in this session
# ("card ending 4821 blocked"), for the agent's summary.
HANDOFF_REASON = "handoff_reason"
COMPLAINT_DETAILS = "complaint_details"
BOT_DID = "bot_did"
# The session's messages the tracker store archived (cardcare/tracker_store.py), digested.
EARLIER = EARLIER_SLOT

# What a verification in progress holds; cleared when it ends, however it ends.
VERIFYING = (PENDING_ACTION, CHALLENGE_ID, IDENTITY_DETAILS, OTP_CODE)
# What a flow collects; cleared when it ends or is cancelled.
FLOW = (AWAITING, AWAITING_STEP, CARD_ID, TRANSACTION_ID, DISPUTE_REASON, ADDRESS_ID, OFFER_ID,
        OPTION_ID, LIMIT_KIND, AUTOPAY_MODE, LOCK_WAY, FRAUD_TRANSACTIONS, CARD_LAST4, AMOUNT,
        MONTHS, MERCHANT, PERIOD, HANDOFF_REASON, COMPLAINT_DETAILS)
# Cleared when the verified session expires: nothing about the account outlives the
# 15 minutes for which the cardholder proved who they are.
SENSITIVE = (*FLOW, *VERIFYING, BOT_DID)
