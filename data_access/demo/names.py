"""Fictional but plausible names: people, townships, villages, assisting units.

Names are drawn from curated character lists with the surname mix of a county in the south-west
(黄, 韦, 覃, 蓝, 莫 …). The few combinations the lists could form that belong to famous people are
drawn again, so no demo household head shares a name with someone everyone knows.
"""

from __future__ import annotations

import numpy as np

SURNAMES = {
    "黄": 9, "韦": 8, "李": 6, "覃": 5, "莫": 4, "罗": 4, "王": 4, "陈": 4, "蓝": 3, "陆": 3,
    "潘": 3, "梁": 3, "吴": 3, "刘": 3, "张": 3, "杨": 3, "卢": 2, "蒙": 2, "廖": 2, "谢": 2,
    "何": 2, "周": 2, "唐": 2, "邓": 2, "谭": 2, "农": 1.5, "赵": 1.5, "龙": 1.5, "石": 1.5,
    "胡": 1.5, "欧": 1, "蒋": 1, "朱": 1, "马": 1, "甘": 1, "袁": 1,
}  # fmt: skip
MALE_GIVEN = (
    "建国明华军平志勇强海东林文春光成德福全永金荣忠祥贵富新立安生云庆学宏斌辉俊杰家顺世正振开"
    "发宝树培武兵良启进锋涛超鹏"
)
FEMALE_GIVEN = "秀英兰玉芳梅凤珍丽燕花琴桂霞红萍莲艳娟春月翠美妹香菊丹雪莉婷慧静敏晓芬群爱云"
FAMOUS_NAMES = frozenset({"马云", "刘德华", "张国荣", "刘强东", "李强", "李鹏", "胡春华", "王杰"})

TOWNSHIPS = (
    "城关镇", "马庄镇", "清水镇", "石门乡", "龙岩镇", "白沙乡", "桐木镇", "板坝乡", "青龙镇",
    "新圩镇", "高岭乡", "大坪镇", "岩口乡", "六合镇", "凤凰乡", "长坡镇", "双溪乡", "平安镇",
    "塘头乡", "金竹乡", "上寨乡", "河口镇", "古榕乡", "松林镇",
)  # fmt: skip
# Place names are a first and a second character from these lists (龙坪, 石岭 …).
PLACE_FIRST = (
    "东西南北上下大小新老高长平石岩龙凤金银桃竹"
    "松杉枫梅兰荷清白红青黄马牛羊鹿云花双三六九福安和太永古"
)
PLACE_SECOND = (
    "坪塘寨坡岭山冲沟湾坝河溪洞口屯垌田庄湖桥街铺圩林园台头弄那峒江泉滩洲坑岗峰阳背垄门水坳场"
)

# County units that typically take on 定点帮扶 villages, by kind.
COUNTY_UNITS = {
    "县直部门": (
        "县委办公室", "县人大常委会办公室", "县政府办公室", "县政协办公室", "县纪委监委",
        "县委组织部", "县委宣传部", "县委统战部", "县委政法委", "县发展和改革局", "县教育局",
        "县工业和信息化局", "县公安局", "县民政局", "县司法局", "县财政局",
        "县人力资源和社会保障局", "县自然资源局", "县生态环境局", "县住房和城乡建设局",
        "县交通运输局", "县水利局", "县农业农村局", "县商务局", "县文化广电体育和旅游局",
        "县卫生健康局", "县退役军人事务局", "县应急管理局", "县审计局", "县市场监督管理局",
        "县统计局", "县医疗保障局", "县林业局", "县信访局", "县行政审批局", "县总工会", "团县委",
        "县妇联", "县科协", "县残联", "县供销社", "县人民法院", "县人民检察院", "县税务局",
        "县气象局",
    ),
    "事业单位": (
        "县人民医院", "县中医医院", "县妇幼保健院", "县疾病预防控制中心", "县第一中学",
        "县第二中学", "县职业教育中心", "县融媒体中心", "县农业技术推广中心",
    ),
    "企业": (
        "县供电公司", "县农商银行", "县农业银行支行", "县邮政分公司", "县移动分公司",
        "县电信分公司", "县自来水公司", "县城市建设投资公司", "县烟草专卖局",
    ),
}  # fmt: skip

# Township institutions: assisting units of a large county once the county units run out.
TOWNSHIP_INSTITUTIONS = {
    "事业单位": ["中心学校", "卫生院", "农业服务中心", "林业站"],
    "企业": ["供电所", "信用社"],
    "县直部门": ["派出所"],
}


def person_names(rng: np.random.Generator, male: np.ndarray) -> np.ndarray:
    """One plausible, fictional Chinese name per entry of ``male`` (object array of str).

    Three in four names have two given characters, the rest one.
    """
    surnames = list(SURNAMES)
    weights = np.array(list(SURNAMES.values()))
    names = np.empty(len(male), dtype=object)
    todo = np.arange(len(male))
    while len(todo):
        names[todo] = _draw_names(rng, male[todo], surnames, weights / weights.sum())
        todo = todo[np.isin(names[todo], list(FAMOUS_NAMES))]
    return names


def _draw_names(
    rng: np.random.Generator, male: np.ndarray, surnames: list[str], surname_p: np.ndarray
) -> list[str]:
    size = len(male)
    family = rng.choice(len(surnames), size=size, p=surname_p)
    pool_sizes = np.where(male, len(MALE_GIVEN), len(FEMALE_GIVEN))
    first = (rng.random(size) * pool_sizes).astype(np.int64)
    second = (rng.random(size) * pool_sizes).astype(np.int64)
    two_given = rng.random(size) < 0.75
    names = []
    for family_index, a, b, is_male, two in zip(
        family, first, second, male, two_given, strict=True
    ):
        pool = MALE_GIVEN if is_male else FEMALE_GIVEN
        names.append(surnames[family_index] + pool[a] + (pool[b] if two else ""))
    return names


def place_stems(rng: np.random.Generator, count: int) -> list[str]:
    """``count`` two-character place stems (龙坪, 石岭 …), distinct while the lists allow."""
    stems = [a + b for a in PLACE_FIRST for b in PLACE_SECOND if a != b]
    chosen = rng.choice(len(stems), size=count, replace=count > len(stems))
    return [stems[i] for i in chosen]


def township_names(rng: np.random.Generator, count: int) -> list[str]:
    """The curated township names first (城关镇, 马庄镇 …), then invented ones, all distinct."""
    names = list(TOWNSHIPS[:count])
    while len(names) < count:
        suffix = "镇" if rng.random() < 0.6 else "乡"
        candidate = place_stems(rng, 1)[0] + suffix
        if candidate[:2] not in {name[:2] for name in names}:
            names.append(candidate)
    return names


def village_names(rng: np.random.Generator, count: int) -> list[str]:
    return [stem + "村" for stem in place_stems(rng, count)]


def unit_names(
    rng: np.random.Generator, township_names: list[str], count: int
) -> list[tuple[str, str]]:
    """``count`` distinct (name, kind) assisting units: a draw of county units while they last,
    then all of them and township institutions (马庄镇卫生院 …).

    Raises ValueError when even the township institutions run out.
    """
    county = [(name, kind) for kind, names in COUNTY_UNITS.items() for name in names]
    if count <= len(county):
        return [county[i] for i in np.sort(rng.choice(len(county), size=count, replace=False))]
    township = [
        (township + name, kind)
        for kind, names in TOWNSHIP_INSTITUTIONS.items()
        for name in names
        for township in township_names
    ]
    catalogue = county + township
    if count > len(catalogue):
        raise ValueError(f"只能命名 {len(catalogue)} 个帮扶单位，需要 {count} 个")
    return catalogue[:count]
