"""The database's rules for a slot's times."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction

from scheduling.models import MAX_SLOT_LENGTH
from tests.scheduling.factories import SlotFactory
from tests.scheduling.helpers import tomorrow_at

pytestmark = pytest.mark.django_db


def test_a_slot_lasts_at_most_max_slot_length():
    start = tomorrow_at(9)
    SlotFactory(starts_at=start, ends_at=start + MAX_SLOT_LENGTH)

    with pytest.raises(IntegrityError), transaction.atomic():
        SlotFactory(starts_at=start, ends_at=start + MAX_SLOT_LENGTH + timedelta(minutes=1))


def test_a_slot_ends_after_it_starts():
    start = tomorrow_at(9)
    with pytest.raises(IntegrityError), transaction.atomic():
        SlotFactory(starts_at=start, ends_at=start)
