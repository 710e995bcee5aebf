"""Factories for applicants' tests."""

from __future__ import annotations

import factory

from applicants.models import Applicant, Memo, Position, SelectionStage, Source, Tag
from applicants.selectors import company_stages
from tests.factories import CompanyFactory


def first_stage(company) -> SelectionStage:
    return company_stages(company)[0]


def stage_named(company, name: str) -> SelectionStage:
    return next(stage for stage in company_stages(company) if stage.name == name)


class PositionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Position

    company = factory.SubFactory(CompanyFactory)
    name = factory.Sequence(lambda n: f"職種{n}")
    sort_order = factory.Sequence(lambda n: n * 10)


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source
        django_get_or_create = ("company", "name")

    company = factory.SubFactory(CompanyFactory)
    name = factory.Sequence(lambda n: f"経路{n}")
    sort_order = factory.Sequence(lambda n: n * 10)


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag
        django_get_or_create = ("company", "name")

    company = factory.SubFactory(CompanyFactory)
    name = factory.Sequence(lambda n: f"タグ{n}")


class ApplicantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Applicant
        skip_postgeneration_save = True

    company = factory.SubFactory(CompanyFactory)
    name = factory.Sequence(lambda n: f"山田 太郎{n}")
    name_kana = factory.Sequence(lambda n: "ヤマダ タロウ")
    email = factory.Sequence(lambda n: f"applicant{n}@example.jp")
    phone = factory.Sequence(lambda n: f"090-{n // 10000:04d}-{n % 10000:04d}")
    stage = factory.LazyAttribute(lambda o: first_stage(o.company))
    # As the services write it: the first stage is reached (history written by a test adds its own).
    reached_stages = factory.LazyAttribute(lambda o: o.stage.mask)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        applicant = model_class(*args, **kwargs)
        applicant.set_search_keys()
        applicant.save()
        return applicant

    @factory.post_generation
    def tags(self, create, extracted, **kwargs):
        if create and extracted:
            self.tags.set(extracted)


class MemoFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Memo

    applicant = factory.SubFactory(ApplicantFactory)
    body = "電話で日程を調整済み"
    author_label = "採用 太郎"
