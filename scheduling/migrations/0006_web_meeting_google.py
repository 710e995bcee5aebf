from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0005_provider_neutral_meetings")]

    operations = [
        migrations.AlterField(
            model_name="event",
            name="web_meeting",
            field=models.CharField(
                choices=[
                    ("none", "なし"),
                    ("zoom", "Zoom"),
                    ("teams", "Microsoft Teams"),
                    ("google", "Google Meet"),
                ],
                default="none",
                max_length=10,
                verbose_name="Web面接連携",
            ),
        ),
    ]
