"""The pure core of jointip: state machines, guards, role rules, terms rules. No I/O.

Everything outside this package imports from here, never from a module inside it; each module
names its public surface in ``__all__``.
"""

from workflows import (
    audit,
    countries,
    deliveries,
    editing,
    effects,
    engagement,
    errors,
    funding,
    inputs,
    licences,
    limits,
    machines,
    milestones,
    organisations,
    results,
    signatories,
    states,
    terms,
    text,
)
from workflows.audit import *  # noqa: F403
from workflows.countries import *  # noqa: F403
from workflows.deliveries import *  # noqa: F403
from workflows.editing import *  # noqa: F403
from workflows.effects import *  # noqa: F403
from workflows.engagement import *  # noqa: F403
from workflows.errors import *  # noqa: F403
from workflows.funding import *  # noqa: F403
from workflows.inputs import *  # noqa: F403
from workflows.licences import *  # noqa: F403
from workflows.limits import *  # noqa: F403
from workflows.machines import *  # noqa: F403
from workflows.milestones import *  # noqa: F403
from workflows.organisations import *  # noqa: F403
from workflows.results import *  # noqa: F403
from workflows.signatories import *  # noqa: F403
from workflows.states import *  # noqa: F403
from workflows.terms import *  # noqa: F403
from workflows.text import *  # noqa: F403

# results re-exports when results vest (vests_on, has_vested), hence the set.
__all__ = sorted(
    {
        *audit.__all__,
        *countries.__all__,
        *deliveries.__all__,
        *editing.__all__,
        *effects.__all__,
        *engagement.__all__,
        *errors.__all__,
        *funding.__all__,
        *inputs.__all__,
        *licences.__all__,
        *limits.__all__,
        *machines.__all__,
        *milestones.__all__,
        *organisations.__all__,
        *results.__all__,
        *signatories.__all__,
        *states.__all__,
        *terms.__all__,
        *text.__all__,
    }
)
