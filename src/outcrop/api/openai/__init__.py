"""OpenAI-compatible routes (the `openai` SDK pointed at Outcrop), mapped onto the same typed Tasks as every door."""
