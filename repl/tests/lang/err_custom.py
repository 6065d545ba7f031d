class ConfigError(Exception):
    pass


def load(name):
    if not name:
        raise ConfigError(f"missing name (got {name!r})")
    return name


print(load("ok"))
load("")
