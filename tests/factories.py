"""factory_boy factories shared by every app's tests. Apps add their factories below."""

from __future__ import annotations

import factory

from accounts.models import Company, Role, User

TEST_PASSWORD = "correct-horse-battery"


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"株式会社テスト{n}")
    slug = factory.Sequence(lambda n: f"company-{n}")
    time_zone = "Asia/Tokyo"
    zoom_enabled = True


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    name = factory.Sequence(lambda n: f"ユーザー{n}")
    company = factory.SubFactory(CompanyFactory)
    role = Role.RECRUITER

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or TEST_PASSWORD)
        if create:
            self.save(update_fields=["password"])
