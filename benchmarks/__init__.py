"""The performance harness: jointip measured side by side with its references (see README.md)."""
