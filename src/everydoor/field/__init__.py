"""The field officer's phone: the day's work, a household, a visit in a few taps, offline."""
