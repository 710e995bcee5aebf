"""The Japanese templates every company starts with (and returns to with 初期設定に戻す).

They are company data, not interface text: a company edits them in Japanese, so they are not translated.
"""

from __future__ import annotations

from dataclasses import dataclass

from notifications.models import MailKind


@dataclass(frozen=True)
class DefaultTemplate:
    subject: str
    body: str


_SIGNATURE = """
ご不明な点がございましたら、下記までお問い合わせください。
{問い合わせ先}

{会社名} 採用担当
"""

DEFAULT_TEMPLATES: dict[str, DefaultTemplate] = {
    MailKind.SCHEDULE_INVITATION: DefaultTemplate(
        subject="【{会社名}】{選考会名} 日程のご案内",
        body="""{応募者名} 様

{会社名} 採用担当です。
このたびは当社の選考にご応募いただき、誠にありがとうございます。

{選考会名}の日程をご案内いたします。
下記の専用ページから、ご都合のよい日程をお選びいただき、ご予約ください。

■ 日程選択ページ
{予約確認URL}

※このURLは{応募者名}様専用です。他の方と共有しないでください。
"""
        + _SIGNATURE,
    ),
    MailKind.BOOKING_CONFIRMED: DefaultTemplate(
        subject="【{会社名}】{選考会名} ご予約完了のお知らせ",
        body="""{応募者名} 様

{会社名} 採用担当です。
以下の内容でご予約を承りました。

■ 選考会: {選考会名}
■ 日時: {日時}
■ 参加方法
{参加方法}

カレンダーに登録できる招待状（.ics）を添付しています。

ご予約内容の確認・変更・キャンセルは、下記のページから行えます。
（変更・キャンセルの期限: {キャンセル期限}）
{予約確認URL}
"""
        + _SIGNATURE,
    ),
    MailKind.REMINDER: DefaultTemplate(
        subject="【{会社名}】{選考会名} のご案内（{日時}）",
        body="""{応募者名} 様

{会社名} 採用担当です。
ご予約いただいている{選考会名}の日時が近づいてまいりましたので、ご案内いたします。

■ 日時: {日時}
■ 参加方法
{参加方法}

ご予約内容は、下記のページからご確認いただけます。
{予約確認URL}
"""
        + _SIGNATURE,
    ),
    MailKind.BOOKING_CHANGED: DefaultTemplate(
        subject="【{会社名}】{選考会名} ご予約内容変更のお知らせ",
        body="""{応募者名} 様

{会社名} 採用担当です。
ご予約いただいている{選考会名}の内容が、以下のとおり変更になりました。

■ 変更前の日時: {変更前日時}
■ 変更後の日時: {日時}
■ 参加方法
{参加方法}

更新したカレンダー招待状（.ics）を添付しています。
お使いのカレンダーの予定も更新してください。

ご予約内容は、下記のページからご確認いただけます。
{予約確認URL}
"""
        + _SIGNATURE,
    ),
    MailKind.BOOKING_CANCELLED: DefaultTemplate(
        subject="【{会社名}】{選考会名} ご予約キャンセルのお知らせ",
        body="""{応募者名} 様

{会社名} 採用担当です。
以下のご予約はキャンセルされました。

■ 選考会: {選考会名}
■ 日時: {日時}

あらためてご予約いただく場合は、下記のページから日程をお選びください。
{予約確認URL}
"""
        + _SIGNATURE,
    ),
    MailKind.URL_ISSUED: DefaultTemplate(
        subject="【{会社名}】{選考会名} Web面接URLのご案内",
        body="""{応募者名} 様

{会社名} 採用担当です。
ご予約いただいている{選考会名}の{Web面接サービス}ミーティングURLが発行されましたので、ご案内いたします。

■ 日時: {日時}
■ 参加方法
{参加方法}

開始時刻になりましたら、上記のURLからご参加ください。

ご予約内容は、下記のページからご確認いただけます。
{予約確認URL}
"""
        + _SIGNATURE,
    ),
    MailKind.URL_CHANGED: DefaultTemplate(
        subject="【{会社名}】{選考会名} Web面接URL変更のお知らせ",
        body="""{応募者名} 様

{会社名} 採用担当です。
ご予約いただいている{選考会名}の{Web面接サービス}ミーティングが変更になりました。
以前のご案内のURLは使用できませんので、以下の新しいURLからご参加ください。

■ 日時: {日時}
■ 参加方法
{参加方法}

更新したカレンダー招待状（.ics）を添付しています。

ご予約内容は、下記のページからご確認いただけます。
{予約確認URL}
"""
        + _SIGNATURE,
    ),
    MailKind.HOST_NOTICE: DefaultTemplate(
        subject="【e2RPRO】{通知内容}: {選考会名} {日時}",
        body="""{面接官名} 様

ご担当の日程について、お知らせします。

■ 内容: {通知内容}
■ 応募者: {応募者名} 様
■ 選考会: {選考会名}（{イベント名}）
■ 日時: {日時}

日程の詳細とWeb面接の開始は、下記の日程ページから行ってください。
{日程ページURL}

※このメールは e2RPRO（{会社名}）から自動で送信しています。
""",
    ),
    MailKind.EVALUATION_REMINDER: DefaultTemplate(
        subject="【e2RPRO】評価入力のお願い: {応募者名} 様（{選考会名}）",
        body="""{面接官名} 様

ご担当の面接の評価がまだ入力されていません。
お手数ですが、下記のページから評価を入力してください。

■ 応募者: {応募者名} 様
■ 選考会: {選考会名}（{イベント名}）
■ 日時: {日時}

{評価入力URL}

※このメールは e2RPRO（{会社名}）から自動で送信しています。
""",
    ),
    MailKind.RESULT_PASS: DefaultTemplate(
        subject="【{会社名}】{選考会名} 選考結果のご連絡",
        body="""{応募者名} 様

{会社名} 採用担当です。
先日は{選考会名}にご参加いただき、誠にありがとうございました。

慎重に選考を進めました結果、{応募者名}様には次の選考へお進みいただくこととなりました。
次の選考: {次の選考}

詳細につきましては、追ってご案内いたします。
引き続き、どうぞよろしくお願いいたします。
"""
        + _SIGNATURE,
    ),
    MailKind.RESULT_FAIL: DefaultTemplate(
        subject="【{会社名}】{選考会名} 選考結果のご連絡",
        body="""{応募者名} 様

{会社名} 採用担当です。
先日は{選考会名}にご参加いただき、誠にありがとうございました。

慎重に選考を進めました結果、誠に残念ではございますが、
今回は貴意に添いかねる結果となりました。

数ある企業の中から当社に関心をお寄せいただきましたことに、心より感謝申し上げます。
{応募者名}様の今後のご活躍をお祈り申し上げます。
"""
        + _SIGNATURE,
    ),
}
