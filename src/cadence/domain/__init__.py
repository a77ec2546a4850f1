"""The domain: scheduling and outcome rules (engine), calendars, date phrases, contacts, the profile.
Pure Python over plain dataclasses: imports nothing of cadence but cadence.errors and itself; no store, CLI or rich."""
