"""Demo data: a few hundred realistic Japanese applicants in the demo company (idempotent).

Also used by benchmarks/list_pages.py to generate any number of applicants quickly.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import Company, Role
from applicants.models import Applicant, Position, SelectionStage, Source, StatusChange, Tag, Track
from applicants.selectors import company_stages
from applicants.services import ensure_company_defaults

DEMO_COUNT = 300
DEMO_EMAIL_DOMAIN = "applicant.example.jp"

FAMILY_NAMES = [
    ("佐藤", "サトウ", "sato"), ("鈴木", "スズキ", "suzuki"), ("高橋", "タカハシ", "takahashi"),
    ("田中", "タナカ", "tanaka"), ("伊藤", "イトウ", "ito"), ("渡辺", "ワタナベ", "watanabe"),
    ("山本", "ヤマモト", "yamamoto"), ("中村", "ナカムラ", "nakamura"), ("小林", "コバヤシ", "kobayashi"),
    ("加藤", "カトウ", "kato"), ("吉田", "ヨシダ", "yoshida"), ("山田", "ヤマダ", "yamada"),
    ("佐々木", "ササキ", "sasaki"), ("山口", "ヤマグチ", "yamaguchi"), ("松本", "マツモト", "matsumoto"),
    ("井上", "イノウエ", "inoue"), ("木村", "キムラ", "kimura"), ("林", "ハヤシ", "hayashi"),
    ("斎藤", "サイトウ", "saito"), ("清水", "シミズ", "shimizu"), ("山崎", "ヤマザキ", "yamazaki"),
    ("森", "モリ", "mori"), ("池田", "イケダ", "ikeda"), ("橋本", "ハシモト", "hashimoto"),
    ("阿部", "アベ", "abe"), ("石川", "イシカワ", "ishikawa"), ("前田", "マエダ", "maeda"),
    ("藤田", "フジタ", "fujita"), ("小川", "オガワ", "ogawa"), ("岡田", "オカダ", "okada"),
    ("後藤", "ゴトウ", "goto"), ("長谷川", "ハセガワ", "hasegawa"), ("村上", "ムラカミ", "murakami"),
    ("近藤", "コンドウ", "kondo"), ("石井", "イシイ", "ishii"), ("坂本", "サカモト", "sakamoto"),
    ("遠藤", "エンドウ", "endo"), ("青木", "アオキ", "aoki"), ("藤井", "フジイ", "fujii"),
    ("西村", "ニシムラ", "nishimura"), ("福田", "フクダ", "fukuda"), ("太田", "オオタ", "ota"),
    ("三浦", "ミウラ", "miura"), ("藤原", "フジワラ", "fujiwara"), ("岡本", "オカモト", "okamoto"),
    ("松田", "マツダ", "matsuda"), ("中川", "ナカガワ", "nakagawa"), ("中野", "ナカノ", "nakano"),
    ("原田", "ハラダ", "harada"), ("小野", "オノ", "ono"), ("竹内", "タケウチ", "takeuchi"),
]  # fmt: skip
GIVEN_NAMES = [
    ("翔太", "ショウタ", "shota"), ("大輝", "ダイキ", "daiki"), ("拓海", "タクミ", "takumi"),
    ("健太", "ケンタ", "kenta"), ("悠斗", "ユウト", "yuto"), ("蓮", "レン", "ren"),
    ("陽向", "ヒナタ", "hinata"), ("湊", "ミナト", "minato"), ("大和", "ヤマト", "yamato"),
    ("颯太", "ソウタ", "sota"), ("直樹", "ナオキ", "naoki"), ("亮", "リョウ", "ryo"),
    ("和也", "カズヤ", "kazuya"), ("誠", "マコト", "makoto"), ("隆之", "タカユキ", "takayuki"),
    ("美咲", "ミサキ", "misaki"), ("陽菜", "ヒナ", "hina"), ("結衣", "ユイ", "yui"),
    ("さくら", "サクラ", "sakura"), ("葵", "アオイ", "aoi"), ("七海", "ナナミ", "nanami"),
    ("彩花", "アヤカ", "ayaka"), ("真由", "マユ", "mayu"), ("優奈", "ユウナ", "yuna"),
    ("莉子", "リコ", "riko"), ("千尋", "チヒロ", "chihiro"), ("麻衣", "マイ", "mai"),
    ("恵", "メグミ", "megumi"), ("愛", "アイ", "ai"), ("舞", "マイ", "mai"),
]  # fmt: skip
UNIVERSITIES = [
    "東京大学", "京都大学", "大阪大学", "東北大学", "名古屋大学", "九州大学", "北海道大学", "一橋大学",
    "早稲田大学", "慶應義塾大学", "上智大学", "明治大学", "青山学院大学", "立教大学", "中央大学",
    "法政大学", "同志社大学", "立命館大学", "関西大学", "関西学院大学", "神戸大学", "横浜国立大学",
    "筑波大学", "千葉大学", "広島大学", "日本大学", "東洋大学", "近畿大学", "東京理科大学",
]  # fmt: skip
FACULTIES = [
    "経済学部 経済学科", "法学部 法律学科", "商学部 商学科", "文学部 英文学科", "経営学部 経営学科",
    "理工学部 情報工学科", "工学部 機械工学科", "理学部 数学科", "国際教養学部", "社会学部 社会学科",
    "情報理工学部 情報科学科", "農学部 生物資源科学科", "教育学部 教育学科",
]  # fmt: skip
EMPLOYERS = [
    "株式会社さくら物産", "東和システム株式会社", "株式会社みらい商事", "北星ロジスティクス株式会社",
    "株式会社アオバ技研", "日の出フーズ株式会社", "株式会社ひかりソリューションズ", "大和テック株式会社",
    "株式会社オオゾラ広告", "富士見不動産株式会社", "株式会社あおい銀行", "湊ホールディングス株式会社",
]  # fmt: skip
POSITIONS = ["総合職（営業）", "エンジニア", "企画・マーケティング", "事務・管理部門", "デザイナー"]
SOURCES = ["マイナビ", "リクナビ", "自社サイト", "紹介", "エージェント", "doda", "ビズリーチ"]
TAGS = ["要フォロー", "地方在住", "英語可", "リファラル", "インターン参加"]
# How far the demo applicants have got (stage name → weight).
STAGE_WEIGHTS = {
    "エントリー": 30, "説明会": 18, "書類選考": 15, "一次面接": 12, "二次面接": 7, "最終面接": 4,
    "内定": 3, "内定承諾": 2, "入社": 1, "不合格": 6, "辞退": 2,
}  # fmt: skip


def _ensure_names(model, company: Company, names: list[str]) -> list[Any]:
    existing = {entry.name: entry for entry in model.objects.filter(company=company)}
    last = max((entry.sort_order for entry in existing.values()), default=0)
    for index, name in enumerate(n for n in names if n not in existing):
        existing[name] = model.objects.create(company=company, name=name, sort_order=last + (index + 1) * 10)
    return [existing[name] for name in names]


def generate_applicants(
    *,
    company: Company,
    count: int,
    rng: random.Random,
    stages: list[SelectionStage],
    positions: list[Position],
    sources: list[Source],
    email_prefix: str = "",
    start: date | None = None,
) -> Iterator[Applicant]:
    """Unsaved applicants with search keys set, spread over the year before ``start``."""
    start = start or timezone.localdate()
    now = timezone.now()
    stage_by_name = {stage.name: stage for stage in stages}
    weighted = [
        (stage_by_name[name], weight) for name, weight in STAGE_WEIGHTS.items() if name in stage_by_name
    ]
    stage_choices, weights = zip(*weighted, strict=True) if weighted else ((stages[0],), (1,))
    for index in range(count):
        family, family_kana, family_roman = rng.choice(FAMILY_NAMES)
        given, given_kana, given_roman = rng.choice(GIVEN_NAMES)
        mid_career = rng.random() < 0.35
        applied = start - timedelta(days=rng.randint(1, 365))
        created = timezone.make_aware(
            datetime.combine(applied, time(9)) + timedelta(minutes=rng.randint(0, 600))
        )
        updated = min(created + timedelta(days=rng.randint(0, 20), minutes=rng.randint(0, 600)), now)
        applicant = Applicant(
            company=company,
            name=f"{family} {given}",
            name_kana=f"{family_kana} {given_kana}",
            email=f"{given_roman}.{family_roman}.{email_prefix}{index}@{DEMO_EMAIL_DOMAIN}",
            phone=f"0{rng.choice('789')}0-{rng.randint(1000, 9999)}-{index % 10000:04d}",
            track=Track.MID_CAREER if mid_career else Track.NEW_GRADUATE,
            school=rng.choice(UNIVERSITIES),
            faculty="" if mid_career else rng.choice(FACULTIES),
            graduation_year=rng.randint(2010, 2022) if mid_career else rng.choice([2026, 2027, 2027, 2028]),
            current_employer=rng.choice(EMPLOYERS) if mid_career else "",
            position=rng.choice(positions) if positions else None,
            source=rng.choice(sources) if sources else None,
            stage=(stage := rng.choices(stage_choices, weights)[0]),
            reached_stages=stage.mask,
            applied_on=applied,
            created_at=created,
            updated_at=updated,
        )
        applicant.set_search_keys()
        yield applicant


def _history(applicant: Applicant, stages: list[SelectionStage], actor_label: str) -> list[StatusChange]:
    """Status changes that walk the applicant up to its current stage."""
    in_progress = [stage for stage in stages if stage.kind == "in_progress"]
    path = in_progress[: in_progress.index(applicant.stage) + 1] if applicant.stage in in_progress else []
    if not path:
        path = [*in_progress[:2], applicant.stage]
    # Spread the steps between registration and the last update.
    step = (applicant.updated_at - applicant.created_at) / max(len(path) - 1, 1)
    changes, previous, at = [], None, applicant.created_at
    for stage in path:
        changes.append(
            StatusChange(
                applicant=applicant,
                from_stage=previous,
                to_stage=stage,
                changed_by_label=actor_label if previous else "",
                created_at=min(at, applicant.updated_at),
            )
        )
        previous, at = stage, at + step
    return changes


def seed(*, company: Company, users: dict, stdout) -> None:
    if Applicant.objects.filter(company=company, email__endswith="@" + DEMO_EMAIL_DOMAIN).exists():
        stdout.write("applicants: demo applicants already present")
        return
    rng = random.Random(20261125)  # noqa: S311 - repeatable demo data, not a secret
    with transaction.atomic():
        ensure_company_defaults(company=company)
        stages = company_stages(company)
        positions = _ensure_names(Position, company, POSITIONS)
        sources = _ensure_names(Source, company, SOURCES)
        tags = [Tag.objects.get_or_create(company=company, name=name)[0] for name in TAGS]
        applicants = list(
            generate_applicants(
                company=company,
                count=DEMO_COUNT,
                rng=rng,
                stages=stages,
                positions=positions,
                sources=sources,
            )
        )
        recruiter = users.get(Role.RECRUITER)
        for applicant in applicants:
            applicant.created_by = recruiter
        label = recruiter.display_name if recruiter else ""
        changes = [change for applicant in applicants for change in _history(applicant, stages, label)]
        for change in changes:
            change.applicant.reach(change.to_stage)
        Applicant.objects.bulk_create(applicants)
        StatusChange.objects.bulk_create(changes)
        Applicant.tags.through.objects.bulk_create(
            Applicant.tags.through(applicant_id=applicant.pk, tag_id=tag.pk)
            for applicant in applicants
            for tag in rng.sample(tags, k=rng.choice([0, 0, 0, 1, 1, 2]))
        )
    stdout.write(f"applicants: {len(applicants)} demo applicants")
