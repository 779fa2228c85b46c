"""The commands of `snap`, one module per area; importing a module registers its commands on the app."""
