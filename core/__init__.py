"""donebot's channel-agnostic domain. Imports nothing from bot/, channels/ or scheduler/."""
