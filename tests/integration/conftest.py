import pytest


@pytest.fixture(autouse=True)
def _clean(clean_db: object) -> None:
    """Each test here starts from empty tables."""
