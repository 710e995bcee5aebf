from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_company_teams_enabled"),
    ]

    operations = [
        migrations.AddField(
            model_name="company",
            name="google_enabled",
            field=models.BooleanField(
                db_default=False,
                default=False,
                help_text="運用者が契約に応じて有効にします。有効にすると会社の管理者が利用を開始できます。",
                verbose_name="Google Meet連携を利用する",
            ),
        ),
    ]
