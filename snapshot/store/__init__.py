"""The snapshot store: its layout, references into it, and its contents."""
