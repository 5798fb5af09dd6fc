"""make_huey: SqliteHuey for the embedded default, RedisHuey when REDIS_URL is set."""
from huey import RedisHuey, SqliteHuey


def make_huey(settings):
    """Build the Huey instance from settings (redis_url, queue_path, queue_name, immediate)."""
    # results=False: nothing reads a task's return value, and a result store keeps each one
    # until read (one per inbound reply, forever).
    if settings.redis_url:
        huey = RedisHuey(settings.queue_name, url=settings.redis_url, utc=True, results=False)
    else:
        huey = SqliteHuey(settings.queue_name, filename=settings.queue_path, utc=True, timeout=10, results=False)
    huey.immediate = settings.queue_immediate
    return huey
