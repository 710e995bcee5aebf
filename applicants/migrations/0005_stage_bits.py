"""The stages' bits and the stages each applicant has been in (the reports' funnel reads them).

Adds ``SelectionStage.bit`` (filled: each company's stages in their order get bits 0, 1, …) and
``Applicant.reached_stages`` (filled from the current stage and the history; on PostgreSQL in one UPDATE).
Reversing drops both columns (0006 first puts the history's index back).
"""

from django.db import migrations, models


def fill(apps, schema_editor):
    from applicants import stage_bits

    stage = apps.get_model("applicants", "SelectionStage")
    stage_bits.allocate_bits(stage)
    stage_bits.fill_reached_stages(
        apps.get_model("applicants", "Applicant"),
        apps.get_model("applicants", "StatusChange"),
        stage,
        schema_editor.connection,
    )


class Migration(migrations.Migration):

    dependencies = [
        ('applicants', '0004_report_indexes'),
    ]

    operations = [
        migrations.AddField(
            model_name='applicant',
            name='reached_stages',
            field=models.BigIntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name='selectionstage',
            name='bit',
            field=models.PositiveSmallIntegerField(null=True, editable=False),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
    ]
