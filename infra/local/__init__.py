"""Local mode machinery: the AWS emulator, provisioning, the event pump and the dev runner."""
