"""What a person sees in a terminal: rich output of the daily commands (daily) and of stats (insight).
Takes plain values from the layers below; imports only the domain (for words like plural), cadence.errors and rich."""
