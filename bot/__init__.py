"""The application shell: wires core, channels and the scheduler together. Owns no domain logic."""
