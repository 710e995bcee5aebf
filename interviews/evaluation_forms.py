"""Forms of the evaluations area: the 評価シート (its notes and items) and an interviewer's evaluation."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from interviews import evaluations
from interviews.evaluation_selectors import SCALE_POINTS
from interviews.models import Evaluation, EvaluationItem, EvaluationSheet, ItemKind, Recommendation

MAX_CHOICES = 20
MAX_TEXT = 2000
MAX_COMMENT = 4000


class SheetForm(forms.Form):
    instructions = forms.CharField(
        label=_("評価の観点・注意事項"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("評価フォームの先頭に表示されます（例: 評価基準、見るべきポイント）。"),
    )

    def __init__(self, *args: Any, sheet: EvaluationSheet | None = None, **kwargs: Any) -> None:
        kwargs["initial"] = {"instructions": sheet.instructions if sheet else ""}
        super().__init__(*args, **kwargs)


class ItemForm(forms.Form):
    """One item of the 評価シート: 5段階 (a label per point), 選択肢 (one per line) or 自由記述."""

    label = forms.CharField(label=_("評価項目"), max_length=100)
    kind = forms.ChoiceField(label=_("形式"), choices=ItemKind.choices, widget=forms.RadioSelect)
    help_text = forms.CharField(
        label=_("説明"),
        max_length=300,
        required=False,
        help_text=_("面接官に表示する評価の観点（任意）"),
    )
    required = forms.BooleanField(label=_("必須（提出時に入力が必要）"), required=False, initial=True)
    choices = forms.CharField(
        label=_("選択肢（1行に1つ）"),
        required=False,
        max_length=MAX_CHOICES * 101,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("形式が「選択肢」のときに使います。2〜%(max)d個。") % {"max": MAX_CHOICES},
    )

    def __init__(self, *args: Any, item: EvaluationItem | None = None, **kwargs: Any) -> None:
        initial = {"kind": ItemKind.SCALE, "required": True, **_scale_initial(item)}
        if item is not None:
            initial |= {"label": item.label, "kind": item.kind, "help_text": item.help_text}
            initial |= {"required": item.required, "choices": "\n".join(item.choices or [])}
        kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        for point in SCALE_POINTS:
            self.fields[f"scale_{point}"] = forms.CharField(
                label=_("%(point)d の説明") % {"point": point}, max_length=30, required=False
            )

    def scale_fields(self) -> list[forms.BoundField]:
        return [self[f"scale_{point}"] for point in SCALE_POINTS]

    def clean_choices(self) -> list[str]:
        lines = [" ".join(line.split()) for line in self.cleaned_data.get("choices", "").splitlines()]
        choices = list(dict.fromkeys(line for line in lines if line))
        if any(len(choice) > 100 for choice in choices):
            raise ValidationError(_("選択肢は1つ100文字までです。"))
        return choices

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == ItemKind.CHOICE and not 2 <= len(data.get("choices") or []) <= MAX_CHOICES:
            self.add_error(
                "choices",
                gettext("選択肢を2〜%(max)d個、1行に1つずつ入力してください。") % {"max": MAX_CHOICES},
            )
        return data

    def item_fields(self) -> evaluations.ItemFields:
        data = self.cleaned_data
        labels = [" ".join(data.get(f"scale_{point}", "").split()) for point in SCALE_POINTS]
        return evaluations.ItemFields(
            label=data["label"].strip(),
            kind=data["kind"],
            help_text=data["help_text"].strip(),
            required=data["required"],
            scale_labels=labels if any(labels) else [],
            choices=data["choices"],
        )


def _scale_initial(item: EvaluationItem | None) -> dict[str, str]:
    labels = [str(label) for label in evaluations.STANDARD_SCALE_LABELS]
    if item is not None and item.kind == ItemKind.SCALE:
        labels = list(item.scale_labels or []) + [""] * len(SCALE_POINTS)
    return {f"scale_{point}": labels[point - 1] for point in SCALE_POINTS}


def _item_field(item: EvaluationItem) -> forms.Field:
    """A field for one item; never required here (a draft may leave anything out): ``clean`` checks the
    required items when the evaluation is submitted."""
    if item.kind == ItemKind.SCALE:
        labels = list(item.scale_labels or []) + [""] * len(SCALE_POINTS)
        # The template shows the point beside its label; the label alone is the choice's text.
        choices = [(str(point), labels[point - 1]) for point in SCALE_POINTS]
        return forms.TypedChoiceField(
            choices=choices, coerce=int, empty_value=None, required=False, widget=forms.RadioSelect
        )
    if item.kind == ItemKind.CHOICE:
        choices = [(choice, choice) for choice in item.choices or []]
        return forms.ChoiceField(choices=choices, required=False, widget=forms.RadioSelect)
    return forms.CharField(required=False, max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 3}))


class EvaluationForm(forms.Form):
    """An evaluation: one field per item of the sheet, the 推奨度 and a comment."""

    recommendation = forms.ChoiceField(
        label=_("推奨度"), choices=Recommendation.choices, required=False, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("コメント"),
        required=False,
        max_length=MAX_COMMENT,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("評価の根拠、印象に残った発言、次の選考で確認したいことなど"),
    )

    def __init__(
        self,
        *args: Any,
        items: list[EvaluationItem],
        evaluation: Evaluation | None,
        submitting: bool,
        **kwargs: Any,
    ) -> None:
        answers = evaluation.answers if evaluation is not None else {}
        initial: dict[str, Any] = {f"item_{item.pk}": answers.get(str(item.pk)) for item in items}
        if evaluation is not None:
            initial |= {"recommendation": evaluation.recommendation, "comment": evaluation.comment}
        kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        self.items, self.submitting = items, submitting
        for item in items:
            field = _item_field(item)
            field.label, field.help_text = item.label, item.help_text
            self.fields[f"item_{item.pk}"] = field

    def item_fields(self) -> list[tuple[EvaluationItem, forms.BoundField]]:
        return [(item, self[f"item_{item.pk}"]) for item in self.items]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.submitting or self.errors:
            return data
        for item in self.items:
            if item.required and data.get(f"item_{item.pk}") in (None, ""):
                self.add_error(f"item_{item.pk}", gettext("提出するには入力が必要です。"))
        if not data.get("recommendation"):
            self.add_error("recommendation", gettext("提出するには推奨度を選んでください。"))
        return data

    def answers(self) -> dict[str, Any]:
        return {str(item.pk): self.cleaned_data.get(f"item_{item.pk}") for item in self.items}
