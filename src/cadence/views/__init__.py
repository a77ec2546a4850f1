"""What a person sees: rich output of the daily commands (daily) and of stats (insight), the HTML report (report, charts).
Takes plain values from the layers below; imports only the domain (for words like plural), cadence.errors and rich."""
