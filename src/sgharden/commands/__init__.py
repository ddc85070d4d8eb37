"""One module a command; each defines `command`, a click.Command, registered in cli.COMMANDS."""
