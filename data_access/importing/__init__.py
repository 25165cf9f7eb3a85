"""Excel ledgers in: templates, safe reading of real-world workbooks, checks, dry run, commit.

Used by the /import page and ``python -m data_access import``. See README「数据导入」 for the
kinds, their headers and natural keys.
"""

from data_access.importing.base import Action, ImportContext, Kind
from data_access.importing.batch import (
    BATCH_COLUMNS,
    CommitResult,
    Counts,
    ImportReport,
    Prepared,
    batch_rejections,
    commit,
    dry_run,
    import_batches,
    prepare,
    record_refusal,
    refresh_caches,
)
from data_access.importing.kinds import KINDS, UnknownKindError, kind_named
from data_access.importing.mappings import (
    SavedMapping,
    field_named,
    mapping_from_arguments,
    saved_mapping,
)
from data_access.importing.templates import template_workbook
from data_access.importing.workbook import (
    HeaderChoiceError,
    HeaderColumn,
    HeaderProblemError,
    ImportRefusedError,
    SheetChoiceError,
)

__all__ = [
    "BATCH_COLUMNS",
    "KINDS",
    "Action",
    "CommitResult",
    "Counts",
    "HeaderChoiceError",
    "HeaderColumn",
    "HeaderProblemError",
    "ImportContext",
    "ImportRefusedError",
    "ImportReport",
    "Kind",
    "Prepared",
    "SavedMapping",
    "SheetChoiceError",
    "UnknownKindError",
    "batch_rejections",
    "commit",
    "dry_run",
    "field_named",
    "import_batches",
    "kind_named",
    "mapping_from_arguments",
    "prepare",
    "record_refusal",
    "refresh_caches",
    "saved_mapping",
    "template_workbook",
]
