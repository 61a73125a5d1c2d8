"""The Amazon Bedrock wire API (bedrock-runtime, bedrock control plane)."""
