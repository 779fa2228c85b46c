"""The `snap` application: the command line, the demo, and the sides of a report or diff."""
