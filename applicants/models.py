"""Applicants (応募者), their selection status (選考ステータス) and its history, memos, CSV import drafts."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.lookups import GreaterThan
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Company
from applicants import normalize


class CompanyChoice(models.Model):
    """A per-company, ordered, renamable entry of a list (stages, positions, sources)."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("名称"), max_length=50)
    sort_order = models.PositiveIntegerField(_("表示順"), default=0)
    is_active = models.BooleanField(_("有効"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    # Declared here (Django would add the same manager to each subclass) so code that works on any kind
    # of entry, given as ``type[CompanyChoice]``, can query it.
    objects = models.Manager()

    class Meta:
        abstract = True
        ordering = ["sort_order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["company", "name"], name="%(app_label)s_%(class)s_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class StageKind(models.TextChoices):
    IN_PROGRESS = "in_progress", _("選考中")
    OFFER = "offer", _("内定・入社")
    CLOSED = "closed", _("不合格・辞退")


# A company's stages each own one bit of ``Applicant.reached_stages`` (a signed 64-bit integer: bits 0..62,
# so that every mask stays positive), hence at most 63 stages per company.
MAX_STAGES = 63


def stage_limit_message() -> str:
    return gettext("選考ステータスはこれ以上追加できません（1社あたり最大%(max)d件です）。") % {
        "max": MAX_STAGES
    }


class SelectionStage(CompanyChoice):
    """One step of a company's selection flow (選考ステータス), e.g. 一次面接.

    ``bit``: the stage's bit in ``Applicant.reached_stages``, unique in the company, allocated once when the
    stage is created (``save`` calls ``free_bit`` when it is unset) and never changed: the lowest bit that
    no other stage of the company holds and no applicant of the company has set. A stage can only be
    deleted (Django's admin; the product has no delete) when no applicant is in it and no history names
    it (PROTECT), so its bit is normally on no applicant row; the check on the applicants proves it before
    the bit is given to a new stage, whatever wrote the rows.
    """

    kind = models.CharField(
        _("区分"), max_length=20, choices=StageKind.choices, default=StageKind.IN_PROGRESS
    )
    bit = models.PositiveSmallIntegerField(editable=False)

    class Meta(CompanyChoice.Meta):
        verbose_name = _("選考ステータス")
        verbose_name_plural = _("選考ステータス")
        constraints = [
            *CompanyChoice.Meta.constraints,
            models.UniqueConstraint(fields=["company", "bit"], name="applicants_selectionstage_unique_bit"),
            models.CheckConstraint(
                condition=models.Q(bit__lte=MAX_STAGES - 1), name="applicants_selectionstage_bit_range"
            ),
        ]

    def save(self, *args, **kwargs) -> None:
        if self.bit is None:
            self.bit = self.free_bit(self.company_id)
        super().save(*args, **kwargs)

    @property
    def mask(self) -> int:
        """The stage's bit as a number, to OR into ``Applicant.reached_stages``."""
        return 1 << self.bit

    @classmethod
    def free_bit(cls, company_id: int) -> int:
        """The lowest bit no stage of the company holds and no applicant of the company has set, else a
        ValidationError (the company has 63 stages). One query for the stages, one per candidate bit
        (normally one: a bit is on applicant rows only while its stage exists)."""
        taken = set(cls.objects.filter(company_id=company_id).values_list("bit", flat=True))
        for bit in range(MAX_STAGES):
            if bit in taken:
                continue
            on_applicants = Applicant.objects.filter(
                GreaterThan(models.F("reached_stages").bitand(1 << bit), 0), company_id=company_id
            )
            if not on_applicants.exists():
                return bit
        raise ValidationError(stage_limit_message(), code="stage_limit")

    @property
    def badge_class(self) -> str:
        badges: dict[str, str] = {StageKind.OFFER: "badge--success", StageKind.CLOSED: "badge--muted"}
        return badges.get(self.kind, "badge--info")


class Position(CompanyChoice):
    """A job the company recruits for (募集職種)."""

    class Meta(CompanyChoice.Meta):
        verbose_name = _("募集職種")
        verbose_name_plural = _("募集職種")


class Source(CompanyChoice):
    """Where an applicant came from (応募経路): マイナビ, リクナビ, 自社サイト, 紹介, …"""

    class Meta(CompanyChoice.Meta):
        verbose_name = _("応募経路")
        verbose_name_plural = _("応募経路")


class Tag(models.Model):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("タグ"), max_length=50)

    class Meta:
        verbose_name = _("タグ")
        verbose_name_plural = _("タグ")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["company", "name"], name="applicants_tag_unique_name")]

    def __str__(self) -> str:
        return self.name


class Track(models.TextChoices):
    NEW_GRADUATE = "new_graduate", _("新卒")
    MID_CAREER = "mid_career", _("中途")


# Prefix search on the normalized keys: on PostgreSQL the pattern opclass lets `LIKE 'abc%'` use the index
# whatever the database collation; other backends ignore opclasses.
_PATTERN_OPS = ["int8_ops", "varchar_pattern_ops"]


def _prefix_index(field: str, name: str) -> models.Index:
    """A prefix search's index; it holds the id too, so that a search's count reads the index alone
    (applicants.selectors.counted_applicants)."""
    return models.Index(fields=["company", field], name=name, opclasses=_PATTERN_OPS, include=["id"])


# The applicant's own details, in the order forms, the CSV template and the export show them.
PROFILE_FIELDS = (
    "name",
    "name_kana",
    "email",
    "phone",
    "track",
    "school",
    "faculty",
    "graduation_year",
    "current_employer",
)


class Applicant(models.Model):
    """A person applying to the company. Personal data is anonymized on request, the row stays for counts."""

    # Every query starts with the company: the composite indexes below lead with it, so no separate index.
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+", db_index=False)
    name = models.CharField(_("氏名"), max_length=100)
    name_kana = models.CharField(_("フリガナ"), max_length=100, blank=True)
    email = models.EmailField(_("メールアドレス"), max_length=254, blank=True)
    phone = models.CharField(_("電話番号"), max_length=30, blank=True)
    track = models.CharField(_("区分"), max_length=20, choices=Track.choices, default=Track.NEW_GRADUATE)
    school = models.CharField(_("学校名"), max_length=200, blank=True)
    faculty = models.CharField(_("学部・学科"), max_length=200, blank=True)
    graduation_year = models.PositiveSmallIntegerField(_("卒業年"), null=True, blank=True)
    current_employer = models.CharField(_("現職"), max_length=200, blank=True)
    source = models.ForeignKey(
        Source, verbose_name=_("応募経路"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    position = models.ForeignKey(
        Position,
        verbose_name=_("募集職種"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    stage = models.ForeignKey(
        SelectionStage, verbose_name=_("選考ステータス"), on_delete=models.PROTECT, related_name="+"
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("タグ"), blank=True, related_name="applicants")
    memo = models.TextField(_("備考"), blank=True)
    applied_on = models.DateField(_("応募日"), default=timezone.localdate)
    created_at = models.DateTimeField(_("登録日時"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新日時"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    anonymized_at = models.DateTimeField(_("個人情報削除日時"), null=True, blank=True)
    # The bit (SelectionStage.bit) of every stage the applicant has been in: the first stage and each
    # history entry's ``to_stage``. Set by every write of ``stage``, in the same statement (the reports'
    # funnel reads it instead of the history).
    reached_stages = models.BigIntegerField(default=0, editable=False)

    # Normalized keys for prefix search and duplicate detection (applicants.normalize), set by the services.
    name_key = models.CharField(max_length=100, blank=True, editable=False)
    given_name_key = models.CharField(max_length=100, blank=True, editable=False)
    kana_key = models.CharField(max_length=100, blank=True, editable=False)
    given_kana_key = models.CharField(max_length=100, blank=True, editable=False)
    email_key = models.CharField(max_length=254, blank=True, editable=False)
    phone_key = models.CharField(max_length=20, blank=True, editable=False)

    # Not a column: the list page's tags, sorted by name, set by applicants.selectors.attach_labels.
    tag_list: list[Tag]

    class Meta:
        verbose_name = _("応募者")
        verbose_name_plural = _("応募者")
        ordering = ["-applied_on", "-id"]
        indexes = [
            # List orderings (scanned either way) and the status filter; they cover the id-only page query.
            models.Index(fields=["company", "applied_on", "id"], name="applicant_applied"),
            models.Index(fields=["company", "updated_at", "id"], name="applicant_updated"),
            models.Index(fields=["company", "kana_key", "id"], name="applicant_kana_order"),
            models.Index(fields=["company", "stage", "applied_on", "id"], name="applicant_stage_applied"),
            # The reports' funnel: the period's applicants with their filters and reached stages, read
            # from the index alone (the rows' heap pages would be thousands of reads).
            models.Index(
                fields=["company", "applied_on", "reached_stages", "source", "position"],
                name="applicant_funnel",
            ),
            _prefix_index("name_key", "applicant_name_prefix"),
            _prefix_index("given_name_key", "applicant_given_prefix"),
            _prefix_index("kana_key", "applicant_kana_prefix"),
            _prefix_index("given_kana_key", "applicant_gkana_prefix"),
            _prefix_index("email_key", "applicant_email_prefix"),
            _prefix_index("phone_key", "applicant_phone_prefix"),
            # The few anonymized applicants, for the anti-joins that leave them out (overdue evaluations).
            models.Index(
                fields=["id"], name="applicant_anonymized", condition=models.Q(anonymized_at__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_anonymized(self) -> bool:
        return self.anonymized_at is not None

    @property
    def background(self) -> str:
        """学校・学部 for new graduates, 現職 for mid-career applicants."""
        if self.track == Track.MID_CAREER:
            return self.current_employer
        return " ".join(part for part in (self.school, self.faculty) if part)

    @property
    def background_label(self) -> str:
        """The list's 学校・現職 cell: school and faculty with the graduation year, or the employer."""
        if self.track == Track.NEW_GRADUATE and self.graduation_year:
            return gettext("%(background)s %(year)d年卒") % {
                "background": self.background,
                "year": self.graduation_year,
            }
        return self.background

    def reach(self, stage: SelectionStage) -> None:
        """Note ``stage`` among the stages the applicant has been in (saved with the row)."""
        self.reached_stages |= stage.mask

    def set_search_keys(self) -> None:
        self.name_key = normalize.name_key(self.name)[:100]
        self.given_name_key = normalize.given_name_key(self.name)[:100]
        self.kana_key = normalize.kana_key(self.name_kana)[:100]
        self.given_kana_key = normalize.given_kana_key(self.name_kana)[:100]
        self.email_key = normalize.email_key(self.email)[:254]
        self.phone_key = normalize.phone_key(self.phone)[:20]


class StatusChange(models.Model):
    """One change of an applicant's 選考ステータス: who, when, from, to. ``from_stage`` is empty at entry."""

    company_lookup = "applicant__company"

    applicant = models.ForeignKey(Applicant, on_delete=models.CASCADE, related_name="status_changes")
    from_stage = models.ForeignKey(
        SelectionStage, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    to_stage = models.ForeignKey(SelectionStage, on_delete=models.PROTECT, related_name="+")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    changed_by_label = models.CharField(max_length=255, blank=True)
    comment = models.CharField(_("コメント"), max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("選考ステータス履歴")
        verbose_name_plural = _("選考ステータス履歴")
        ordering = ["-created_at", "-id"]
        # (The funnel reads ``Applicant.reached_stages``, not the history: no (applicant, to_stage) index.)
        indexes = [models.Index(fields=["applicant", "created_at"], name="statuschange_applicant")]

    def __str__(self) -> str:
        return f"{self.applicant_id}: {self.from_stage_id} → {self.to_stage_id}"


class Memo(models.Model):
    """A dated note on an applicant, shown on the timeline."""

    company_lookup = "applicant__company"

    applicant = models.ForeignKey(Applicant, on_delete=models.CASCADE, related_name="memos")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    author_label = models.CharField(max_length=255, blank=True)
    body = models.TextField(_("メモ"), max_length=5000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("メモ")
        verbose_name_plural = _("メモ")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["applicant", "created_at"], name="memo_applicant")]

    def __str__(self) -> str:
        return self.body[:40]


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("確認待ち")
    IMPORTED = "imported", _("取り込み済み")
    DISCARDED = "discarded", _("破棄")


class ImportPhase(models.TextChoices):
    """Where an upload's background work stands (``status`` says whether it was imported)."""

    CHECK_QUEUED = "check_queued", _("チェック待ち")
    CHECKING = "checking", _("チェック中")
    READY = "ready", _("確認待ち")
    IMPORT_QUEUED = "import_queued", _("取り込み待ち")
    IMPORTING = "importing", _("取り込み中")
    DONE = "done", _("完了")
    FAILED = "failed", _("失敗")


class ImportMode(models.TextChoices):
    ALL_OR_NOTHING = "all", _("すべての行が正しいときだけ取り込む")
    VALID_ROWS = "valid", _("正しい行だけ取り込み、取り込めない行をダウンロードする")


class FileKind(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "Excel (.xlsx)"


class ImportPreset(models.Model):
    """A saved column mapping (列の対応) for files whose headers are not ours, e.g. one job site's export.

    ``headers`` are the file's header keys (``csv_import.header_key``) in order: a file with the same ones
    is mapped with ``column_map`` (one field key per column, "" = 取り込まない) without asking again.
    """

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("名前"), max_length=50)
    source = models.ForeignKey(
        Source, verbose_name=_("応募経路"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    headers = models.JSONField(default=list)
    column_map = models.JSONField(default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("取り込み設定")
        verbose_name_plural = _("取り込み設定")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["company", "name"], name="applicants_importpreset_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class ApplicantImport(models.Model):
    """An uploaded CSV or .xlsx kept server-side while it is checked, previewed and imported.

    The random UUID key is only ever used together with the uploader and the company, and the file is
    deleted once imported, discarded or expired. The check and the import run as background jobs
    (``applicants.tasks``), ``phase`` and ``progress_*`` say how far they are. ``preview`` keeps what the
    file's check found (``csv_import.PlanSummary`` as JSON, bounded in size) so the preview page is shown
    without reading the file again; it holds personal data too and is cleared with the file, as is
    ``rejected_content`` (the rows not imported, with their reasons) after IMPORT_DRAFT_LIFETIME.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    file_name = models.CharField(max_length=255, blank=True)
    content = models.BinaryField(blank=True)
    preview = models.JSONField(null=True, blank=True, editable=False)
    status = models.CharField(max_length=20, choices=ImportStatus.choices, default=ImportStatus.PENDING)
    imported_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    imported_at = models.DateTimeField(null=True, blank=True)
    file_kind = models.CharField(max_length=10, choices=FileKind.choices, default=FileKind.CSV)
    phase = models.CharField(max_length=20, choices=ImportPhase.choices, default=ImportPhase.READY)
    phase_changed_at = models.DateTimeField(default=timezone.now)
    mode = models.CharField(max_length=10, choices=ImportMode.choices, default=ImportMode.ALL_OR_NOTHING)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    # The user's column mapping (one field key per column, "" = not imported), or None: headers decide.
    column_map = models.JSONField(null=True, blank=True)
    preset = models.ForeignKey(
        ImportPreset, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    default_source = models.ForeignKey(
        Source, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    blocked = models.BooleanField(default=False)  # the import found problems the preview now shows
    failure = models.CharField(max_length=500, blank=True)
    rejected_count = models.PositiveIntegerField(default=0)
    rejected_content = models.BinaryField(blank=True, default=b"")

    class Meta:
        verbose_name = _("CSV取り込み")
        verbose_name_plural = _("CSV取り込み")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["company", "created_at"], name="applicantimport_company")]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"


class ExportState(models.TextChoices):
    QUEUED = "queued", _("作成待ち")
    RUNNING = "running", _("作成中")
    DONE = "done", _("完了")
    FAILED = "failed", _("失敗")


class ApplicantExport(models.Model):
    """An export of the applicant list too large for the web request, written by a background job
    (``applicants.export_jobs``) into ``ApplicantExportPart`` rows and downloaded by the user who asked.

    What to export is kept as the list asked it: its query string (``filter_query``, applied again by the
    job) or the selected ids. The file is personal data: only its requester downloads it, and it is
    deleted after ``export_jobs.EXPORT_LIFETIME``."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    file_kind = models.CharField(max_length=10, choices=FileKind.choices, default=FileKind.CSV)
    encoding = models.CharField(max_length=10, blank=True)  # csv_export.ENCODINGS' key for a CSV
    filter_query = models.TextField(blank=True)
    applicant_ids = models.JSONField(null=True, blank=True)
    state = models.CharField(max_length=10, choices=ExportState.choices, default=ExportState.QUEUED)
    state_changed_at = models.DateTimeField(default=timezone.now)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    row_count = models.PositiveIntegerField(default=0)
    replaced_cells = models.PositiveIntegerField(default=0)  # Shift_JIS: cells with a character as "?"
    size_bytes = models.PositiveBigIntegerField(default=0)
    failure = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("応募者のエクスポート")
        verbose_name_plural = _("応募者のエクスポート")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["company", "created_by", "created_at"], name="applicantexport_user")]

    def __str__(self) -> str:
        return f"{self.get_file_kind_display()} {self.progress_done}/{self.progress_total} ({self.state})"

    @property
    def running(self) -> bool:
        return self.state in (ExportState.QUEUED, ExportState.RUNNING)


class ApplicantExportPart(models.Model):
    """One piece of an export's file, in order (a few hundred kilobytes each: memory stays flat)."""

    export = models.ForeignKey(ApplicantExport, on_delete=models.CASCADE, related_name="parts")
    index = models.PositiveIntegerField()
    content = models.BinaryField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["export", "index"], name="applicantexport_part_once")]

    def __str__(self) -> str:
        return f"{self.export_id} #{self.index}"
