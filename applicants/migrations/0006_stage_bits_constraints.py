"""Every stage has its bit now: required, unique in the company, 0..62. The funnel no longer reads the
history, so its (applicant, to_stage) index goes."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('applicants', '0005_stage_bits'),
    ]

    operations = [
        migrations.AlterField(
            model_name='selectionstage',
            name='bit',
            field=models.PositiveSmallIntegerField(editable=False),
        ),
        migrations.AddConstraint(
            model_name='selectionstage',
            constraint=models.UniqueConstraint(fields=('company', 'bit'), name='applicants_selectionstage_unique_bit'),
        ),
        migrations.AddConstraint(
            model_name='selectionstage',
            constraint=models.CheckConstraint(condition=models.Q(('bit__lte', 62)), name='applicants_selectionstage_bit_range'),
        ),
        migrations.RemoveIndex(
            model_name='statuschange',
            name='statuschange_applicant_stage',
        ),
    ]
