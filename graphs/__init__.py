"""How the agents are wired: LangGraph StateGraphs over the shared specialist contract.

    from graphs import build_incident_graph, run_incident, resume_incident, Approval

- `_state`: the specialist contract (`Act`, `Situation`, `Specialist`), approvals, the graph state
- `_incident`: the incident-response graph (event -> triage -> maintenance -> scheduling ->
  quality -> summary, routed from findings) and its risk gate
- `_incident_run`: start, resume after approval, continue after a crash, read an outcome
- `_ops`, `_ops_state`, `_ops_run`: the ops graph (operator task -> supervisor -> specialists ->
  reply), multi-turn on one thread; `ask`, `answer` (an approval), `read_task`
"""

from graphs._incident import (
    SPECIALISTS,
    build_incident_graph,
    initial_state,
    load_specialists,
    outcome_of,
)
from graphs._incident_run import (
    RunNotFoundError,
    continue_incident,
    follow_up_incident,
    follow_up_needed,
    read_outcome,
    read_state,
    resume_incident,
    run_incident,
)
from graphs._ops import build_ops_graph
from graphs._ops_run import ThreadBusyError, ThreadNotFoundError, answer, ask, read_task
from graphs._ops_state import OpsState
from graphs._state import (
    FINDINGS_SOURCE,
    FOLLOW_UP_TRIGGER,
    MATERIAL_TRIGGER,
    REVIEW_TRIGGER,
    SUPERVISOR_ROLE,
    Act,
    ActionRecord,
    Approval,
    Declined,
    IncidentState,
    PlantOrigin,
    Situation,
    Specialist,
    findings_evidence,
    findings_of,
)

__all__ = [
    "OpsState",
    "ThreadBusyError",
    "ThreadNotFoundError",
    "answer",
    "ask",
    "build_ops_graph",
    "read_task",
    "FINDINGS_SOURCE",
    "FOLLOW_UP_TRIGGER",
    "MATERIAL_TRIGGER",
    "REVIEW_TRIGGER",
    "SPECIALISTS",
    "SUPERVISOR_ROLE",
    "Act",
    "ActionRecord",
    "Approval",
    "Declined",
    "IncidentState",
    "PlantOrigin",
    "RunNotFoundError",
    "Situation",
    "Specialist",
    "build_incident_graph",
    "continue_incident",
    "findings_evidence",
    "findings_of",
    "follow_up_incident",
    "follow_up_needed",
    "initial_state",
    "load_specialists",
    "outcome_of",
    "read_outcome",
    "read_state",
    "resume_incident",
    "run_incident",
]
