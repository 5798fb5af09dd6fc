"""The task queue: Huey tasks that run core's daily loop in worker processes."""
