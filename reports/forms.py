"""The reports' filters: 応募日 (period), 応募経路 and 募集職種, all optional (GET)."""

from __future__ import annotations

from datetime import date
from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _

from applicants.models import Position, Source
from reports.selectors import Filters


class ReportFilterForm(forms.Form):
    date_from = forms.DateField(
        label=_("応募日（から）"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("応募日（まで）"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    source = forms.TypedChoiceField(label=_("応募経路"), required=False, coerce=int, empty_value=None)
    position = forms.TypedChoiceField(label=_("募集職種"), required=False, coerce=int, empty_value=None)

    def __init__(
        self, data, *, sources: list[Source], positions: list[Position], default: tuple[date, date]
    ) -> None:
        super().__init__(data)
        self.sources = {source.pk: source for source in sources}
        self.positions = {position.pk: position for position in positions}
        self.default = default
        everything = [("", _("すべて"))]
        cast(forms.ChoiceField, self.fields["source"]).choices = everything + [
            (s.pk, s.name) for s in sources
        ]
        cast(forms.ChoiceField, self.fields["position"]).choices = everything + [
            (p.pk, p.name) for p in positions
        ]
        self.fields["date_from"].widget.attrs["placeholder"] = default[0].isoformat()
        self.fields["date_to"].widget.attrs["placeholder"] = default[1].isoformat()

    def clean(self):
        cleaned = super().clean() or {}
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(_("期間の開始日は終了日以前にしてください。"))
        return cleaned

    def filters(self) -> Filters:
        """The valid filters; the defaults (last 90 days, everyone) where a value is missing or invalid."""
        cleaned = self.cleaned_data if self.is_valid() else {}
        start = cleaned.get("date_from") or self.default[0]
        end = cleaned.get("date_to") or self.default[1]
        if start > end:
            start, end = self.default
        return Filters(
            date_from=start,
            date_to=end,
            source=self.sources.get(cleaned.get("source") or 0),
            position=self.positions.get(cleaned.get("position") or 0),
        )
