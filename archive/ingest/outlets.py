"""News outlets and wire services: they carry reports, they are not institutions of the story.
Each entry: canonical name, other names and web domains."""

OUTLETS = [
    ("China Daily", ["chinadaily.com.cn", "China Daily Global", "chinadailyhk.com", "中国日报"]),
    ("Global Times", ["globaltimes.cn"]),
    ("Xinhua", ["Xinhua News Agency", "xinhuanet.com", "news.cn", "新华社", "新華社"]),
    ("People's Daily", ["people.com.cn", "People's Daily Online", "人民日报"]),
    ("CGTN", ["cgtn.com", "China Global Television Network"]),
    ("China News Service", ["chinanews.com", "ecns.cn"]),
    ("Economic Daily", ["ce.cn"]),
    ("Financial News", ["fnc.com.cn"]),
    ("China Securities Journal", ["cs.com.cn"]),
    ("Securities Times", ["stcn.com"]),
    ("Shanghai Securities News", ["cnstock.com"]),
    ("21st Century Business Herald", []),
    ("Caixin", ["Caixin Global", "caixinglobal.com"]),
    ("Yicai", ["Yicai Global", "yicaiglobal.com", "China Business News"]),
    ("The Paper", ["thepaper.cn", "Sixth Tone"]),
    ("Shanghai Daily", ["shine.cn", "SHINE"]),
    ("Shenzhen Daily", ["szdaily.com"]),
    ("South China Morning Post", ["scmp.com", "SCMP"]),
    ("Beijing Review", ["bjreview.com"]),
    ("Reuters", ["reuters.com", "Thomson Reuters"]),
    ("Bloomberg", ["bloomberg.com", "Bloomberg News"]),
    ("Associated Press", ["AP", "apnews.com"]),
    ("Agence France-Presse", ["AFP"]),
    ("Kyodo News", ["Kyodo"]),
    ("Nikkei Asia", ["Nikkei", "asia.nikkei.com"]),
    ("Financial Times", ["ft.com", "FT"]),
    ("The Wall Street Journal", ["Wall Street Journal", "wsj.com", "WSJ"]),
    ("The Economist", ["economist.com"]),
    ("CNBC", ["cnbc.com"]),
    ("Yonhap", ["Yonhap News Agency", "yna.co.kr"]),
    ("The Korea Herald", ["Korea Herald", "koreaherald.com"]),
    ("The Dong-A Ilbo", ["donga.com", "Dong-A Ilbo"]),
    ("The Straits Times", ["Straits Times", "straitstimes.com"]),
    ("ABS-CBN News", ["ABS-CBN", "news.abs-cbn.com"]),
    ("Antara", ["Antara News", "antaranews.com"]),
    ("The Jakarta Post", ["Jakarta Post"]),
    ("Business Standard", []),
    ("The Hindu", []),
    ("Financial Post", ["financialpost.com"]),
    ("Postmedia", []),
]


def outlet_names() -> dict[str, str]:
    """Every name and domain, case-folded, mapped to the canonical outlet name."""
    names = {}
    for canonical, others in OUTLETS:
        for name in [canonical, *others]:
            names[name.casefold()] = canonical
    return names
