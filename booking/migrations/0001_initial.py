"""The booking models, taken over from scheduling with their tables (see scheduling/0003)."""

import booking.models
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('accounts', '0001_initial'),
        ('applicants', '0001_initial'),
        ('scheduling', '0003_booking_models_move_to_booking_app'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The tables exist (created by scheduling/0002 under their scheduling_* names): state only.
            state_operations=[
                migrations.CreateModel(
                    name='BookingInvitation',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('key', models.CharField(default=booking.models._invitation_key, editable=False, max_length=64)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='作成日時')),
                        ('expires_at', models.DateTimeField(verbose_name='有効期限')),
                        ('revoked_at', models.DateTimeField(blank=True, null=True, verbose_name='無効にした日時')),
                        ('applicant', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='booking_invitations', to='applicants.applicant')),
                        ('company', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.company')),
                        ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('events', models.ManyToManyField(related_name='invitations', to='scheduling.event', verbose_name='案内するイベント')),
                    ],
                    options={
                        'verbose_name': '日程選択案内',
                        'verbose_name_plural': '日程選択案内',
                        'db_table': 'scheduling_bookinginvitation',
                        'ordering': ['-created_at', '-id'],
                    },
                ),
                migrations.CreateModel(
                    name='Booking',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('status', models.CharField(choices=[('active', '予約中'), ('cancelled', 'キャンセル')], default='active', max_length=16, verbose_name='状態')),
                        ('source', models.CharField(choices=[('applicant', '応募者'), ('staff', '代行予約'), ('waitlist', 'キャンセル待ちから繰り上げ')], max_length=16, verbose_name='予約方法')),
                        ('ics_sequence', models.PositiveIntegerField(default=0)),
                        ('reminder_sent_at', models.DateTimeField(blank=True, null=True)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='予約日時')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='更新日時')),
                        ('cancelled_at', models.DateTimeField(blank=True, null=True, verbose_name='キャンセル日時')),
                        ('applicant', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='bookings', to='applicants.applicant', verbose_name='応募者')),
                        ('booked_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('cancelled_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('company', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='bookings', to='accounts.company')),
                        ('event', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='bookings', to='scheduling.event')),
                        ('slot', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='bookings', to='scheduling.slot', verbose_name='日程')),
                        ('invitation', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='bookings', to='booking.bookinginvitation')),
                    ],
                    options={
                        'verbose_name': '予約',
                        'verbose_name_plural': '予約',
                        'db_table': 'scheduling_booking',
                        'ordering': ['-created_at', '-id'],
                    },
                ),
                migrations.CreateModel(
                    name='BookingLog',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('invited', '日程選択案内'), ('booked', '予約'), ('moved', '予約変更'), ('cancelled', 'キャンセル'), ('waiting', 'キャンセル待ち登録'), ('wait_withdrawn', 'キャンセル待ち取り消し'), ('promoted', 'キャンセル待ちから予約'), ('slot_moved', '日程の日時変更'), ('url_issued', 'ZoomミーティングURL発行'), ('url_changed', 'ZoomミーティングURL変更')], max_length=20)),
                        ('title', models.CharField(max_length=255)),
                        ('body', models.TextField(blank=True)),
                        ('actor_label', models.CharField(blank=True, max_length=255)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('applicant', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='booking_logs', to='applicants.applicant')),
                        ('booking', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='logs', to='booking.booking')),
                        ('company', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.company')),
                    ],
                    options={
                        'verbose_name': '予約履歴',
                        'verbose_name_plural': '予約履歴',
                        'db_table': 'scheduling_bookinglog',
                        'ordering': ['-created_at', '-id'],
                    },
                ),
                migrations.CreateModel(
                    name='WaitlistEntry',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('status', models.CharField(choices=[('waiting', 'キャンセル待ち'), ('promoted', '繰り上げ予約済み'), ('withdrawn', '取り消し'), ('closed', '終了')], default='waiting', max_length=16, verbose_name='状態')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='登録日時')),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('applicant', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='waitlist_entries', to='applicants.applicant')),
                        ('booking', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='booking.booking')),
                        ('company', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.company')),
                        ('event', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='scheduling.event')),
                        ('invitation', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='booking.bookinginvitation')),
                        ('slot', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='waitlist_entries', to='scheduling.slot')),
                    ],
                    options={
                        'verbose_name': 'キャンセル待ち',
                        'verbose_name_plural': 'キャンセル待ち',
                        'db_table': 'scheduling_waitlistentry',
                        'ordering': ['created_at', 'id'],
                    },
                ),
                migrations.AddIndex(
                    model_name='bookinginvitation',
                    index=models.Index(fields=['applicant', '-created_at'], name='invitation_applicant'),
                ),
                migrations.AddIndex(
                    model_name='booking',
                    index=models.Index(fields=['slot', 'status'], name='booking_slot_status'),
                ),
                migrations.AddIndex(
                    model_name='booking',
                    index=models.Index(fields=['company', 'applicant'], name='booking_company_applicant'),
                ),
                migrations.AddConstraint(
                    model_name='booking',
                    constraint=models.UniqueConstraint(condition=models.Q(('status', 'active')), fields=('applicant', 'event'), name='one_active_booking_per_event'),
                ),
                migrations.AddIndex(
                    model_name='bookinglog',
                    index=models.Index(fields=['applicant', 'created_at'], name='bookinglog_applicant'),
                ),
                migrations.AddIndex(
                    model_name='waitlistentry',
                    index=models.Index(fields=['slot', 'status', 'created_at'], name='waitlist_queue'),
                ),
                migrations.AddConstraint(
                    model_name='waitlistentry',
                    constraint=models.UniqueConstraint(condition=models.Q(('status', 'waiting')), fields=('applicant', 'slot'), name='one_wait_per_slot'),
                ),
            ],
            database_operations=[],
        ),
    ]
