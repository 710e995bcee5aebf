"""Provider-neutral web-meeting columns (docs/web-meeting-providers.md, step 2): the event's host and the
slot's meeting are no longer Zoom's by name, the slot's meeting id becomes text (Graph and Google ids are
strings; Zoom's numbers are kept as their digits), the slot records the service its meeting is at, and the
per-host daily budget is counted per service. Data is kept; every step reverses."""

from django.db import migrations, models


def record_zoom_provider(apps, schema_editor):
    Slot = apps.get_model("scheduling", "Slot")
    Slot.objects.exclude(meeting_host_id="").update(meeting_provider="zoom")
    Slot.objects.filter(meeting_id__isnull=False).update(meeting_provider="zoom")


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0004_slot_batches")]

    operations = [
        migrations.RemoveConstraint(model_name="event", name="zoom_event_has_host"),
        migrations.RenameField(model_name="event", old_name="zoom_host_user_id", new_name="meeting_host_id"),
        migrations.RenameField(model_name="event", old_name="zoom_host_email", new_name="meeting_host_email"),
        migrations.RenameField(model_name="event", old_name="zoom_host_name", new_name="meeting_host_name"),
        migrations.AlterField(
            model_name="event",
            name="meeting_host_id",
            field=models.CharField(blank=True, max_length=64, verbose_name="ホストのユーザーID"),
        ),
        migrations.AlterField(
            model_name="event",
            name="web_meeting",
            field=models.CharField(
                choices=[("none", "なし"), ("zoom", "Zoom"), ("teams", "Microsoft Teams")],
                default="none",
                max_length=10,
                verbose_name="Web面接連携",
            ),
        ),
        migrations.AddConstraint(
            model_name="event",
            constraint=models.CheckConstraint(
                condition=models.Q(("web_meeting", "none"), models.Q(("meeting_host_id", ""), _negated=True), _connector="OR"),
                name="web_meeting_event_has_host",
            ),
        ),
        migrations.RenameField(model_name="slot", old_name="zoom_meeting_id", new_name="meeting_id"),
        migrations.AlterField(
            model_name="slot",
            name="meeting_id",
            field=models.CharField(blank=True, db_index=True, max_length=255, null=True, verbose_name="ミーティングID"),
        ),
        migrations.RenameField(model_name="slot", old_name="meeting_host_zoom_id", new_name="meeting_host_id"),
        migrations.AddField(
            model_name="slot",
            name="meeting_provider",
            field=models.CharField(blank=True, max_length=10, verbose_name="Web面接連携サービス"),
        ),
        migrations.AlterField(
            model_name="slot",
            name="join_url",
            field=models.URLField(blank=True, max_length=1000, verbose_name="ミーティングURL"),
        ),
        migrations.RunPython(record_zoom_provider, migrations.RunPython.noop),
        migrations.RemoveConstraint(model_name="hostdailyusage", name="uniq_host_usage_per_day"),
        migrations.RenameField(model_name="hostdailyusage", old_name="zoom_user_id", new_name="host_id"),
        migrations.AddField(
            model_name="hostdailyusage",
            name="provider",
            field=models.CharField(default="zoom", max_length=10),
        ),
        migrations.AddConstraint(
            model_name="hostdailyusage",
            constraint=models.UniqueConstraint(
                fields=("company", "provider", "host_id", "day"), name="uniq_host_usage_per_day"
            ),
        ),
        migrations.AlterModelOptions(
            name="hostdailyusage",
            options={
                "verbose_name": "ミーティング発行数（ホスト・日別）",
                "verbose_name_plural": "ミーティング発行数（ホスト・日別）",
            },
        ),
    ]
