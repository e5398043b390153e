from __future__ import annotations

from pathlib import Path

import pytest

from service.settings import Settings
from workflows.errors import RuleViolation


def test_defaults_from_an_empty_environment() -> None:
    s = Settings.from_env({})
    assert s.database_url is None
    assert s.data_dir == Path(".jointip")
    assert (s.host, s.port, s.workers) == ("127.0.0.1", 8000, 1)
    assert s.max_body_bytes == 10 * 1024 * 1024
    assert s.cors_origins == ()


def test_values_are_read_and_typed() -> None:
    s = Settings.from_env(
        {
            "DATABASE_URL": "postgresql://u@h/db",
            "JOINTIP_DATA_DIR": "/var/lib/jointip",
            "JOINTIP_BOOTSTRAP_KEY": "a-long-enough-secret",
            "JOINTIP_PORT": "9000",
            "JOINTIP_POOL_MAX_SIZE": "4",
            "JOINTIP_MAX_BODY_BYTES": "2048",
            "JOINTIP_CORS_ORIGINS": "https://a.example, https://b.example",
            "JOINTIP_LOG_LEVEL": "debug",
        }
    )
    assert s.database_url == "postgresql://u@h/db"
    assert s.data_dir == Path("/var/lib/jointip")
    assert s.port == 9000
    assert s.pool_max_size == 4
    assert s.max_body_bytes == 2048
    assert s.cors_origins == ("https://a.example", "https://b.example")
    assert s.log_level == "DEBUG"


def test_settings_are_frozen() -> None:
    s = Settings.from_env({})
    with pytest.raises(AttributeError):
        s.port = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    ("env", "field"),
    [
        ({"JOINTIP_PORT": "eighty"}, "JOINTIP_PORT"),
        ({"JOINTIP_PORT": "70000"}, "JOINTIP_PORT"),
        ({"JOINTIP_LOG_LEVEL": "LOUD"}, "JOINTIP_LOG_LEVEL"),
        ({"JOINTIP_BOOTSTRAP_KEY": "short"}, "JOINTIP_BOOTSTRAP_KEY"),
        ({"JOINTIP_POOL_MIN_SIZE": "5", "JOINTIP_POOL_MAX_SIZE": "2"}, "JOINTIP_POOL_MAX_SIZE"),
    ],
)
def test_bad_values_name_the_variable(env: dict[str, str], field: str) -> None:
    with pytest.raises(RuleViolation) as err:
        Settings.from_env(env)
    assert field in [e.field for e in err.value.errors]
