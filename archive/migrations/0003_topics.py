from django.db import migrations

# The archive's taxonomy: slug, name, description, keywords the importer tags by (curators
# edit the keywords in admin; a keyword is a word or phrase matched on word boundaries).
TOPICS = [
    ("monetary-policy", "Monetary policy",
     "The central bank's stance and tools: policy rates, reserve requirements, open market "
     "operations, liquidity and money supply.",
     ["monetary policy", "interest rate", "policy rate", "benchmark rate", "base rate",
      "rate hike", "rate cut", "reserve requirement", "RRR", "open market operation",
      "interest rates", "key interest rate", "benchmark interest rate", "federal funds rate",
      "basis point", "basis points", "bps", "yield curve control", "stimulus", "easy policy",
      "ultra-easy", "deposit facility", "lending facility", "policy meeting", "price target",
      "normalization", "re-lending", "relending", "quantitative easing",
      "medium-term lending facility", "loan prime rate", "LPR", "liquidity", "money supply",
      "M2", "inflation target", "tightening", "easing", "repo rate", "BI-Rate"]),
    ("credit-and-lending", "Credit and lending",
     "How much banks lend, to whom and at what price: loan growth, credit supply, loan "
     "products and financing costs of the real economy.",
     ["loan", "loans", "lending", "credit", "financing cost", "credit line", "borrowers",
      "loan balance", "outstanding loans", "new loans", "credit supply", "pledge loan",
      "financing needs", "financing services", "credit-granting", "collateral", "bank loans",
      "financing costs", "credit access", "rollover loans", "loan product", "credit limit"]),
    ("technology-finance", "Technology finance",
     "Money for science, technology and innovation: sci-tech loans, intellectual-property "
     "pledges, venture capital and re-lending for technological innovation.",
     ["technology finance", "sci-tech", "technological innovation", "technology firms",
      "technology companies", "technology enterprises", "innovation", "intellectual property",
      "venture capital", "STAR Market", "high-tech", "startups", "tech firms",
      "specialized and sophisticated", "new quality productive forces"]),
    ("green-finance", "Green finance",
     "Finance for the climate and the environment: green loans and bonds, transition finance, "
     "low-carbon industry and ESG.",
     ["green finance", "green loan", "green bond", "green credit", "low-carbon", "carbon",
      "climate", "ESG", "environmental", "renewable", "transition finance", "sustainable",
      "green economy", "emissions", "carbon neutrality", "carbon peak"]),
    ("inclusive-finance", "Inclusive finance",
     "Access to finance for those markets underserve: small and micro enterprises, private "
     "firms, farmers and rural areas, households.",
     ["inclusive finance", "small and micro", "micro and small", "SME", "SMEs",
      "small and medium-sized", "private firms", "private enterprises", "private sector",
      "private economy", "rural", "farmers", "agriculture", "inclusive", "MSMEs",
      "small businesses", "small firms", "micro enterprises", "little giants"]),
    ("digital-finance", "Digital finance and fintech",
     "Technology inside finance: fintech firms, payments, digital currency and the e-CNY, "
     "artificial intelligence and big data applied to financial services.",
     ["fintech", "financial technology", "digital finance", "digital currency", "e-CNY",
      "digital yuan", "mobile payment", "payments", "artificial intelligence", "big data",
      "blockchain", "online lending", "P2P", "digital transformation", "peer-to-peer",
      "internet finance", "payment system", "payment systems", "mobile payments"]),
    ("financial-regulation", "Financial regulation and supervision",
     "Rules and their enforcement: supervision, licensing, compliance, penalties and the "
     "protection of financial consumers.",
     ["regulation", "regulations", "regulatory", "regulator", "supervision", "supervisory",
      "license", "licence", "compliance", "enforcement", "penalty", "crackdown",
      "consumer protection", "rules", "draft rules", "oversight"]),
    ("financial-stability", "Financial stability and risk",
     "Keeping the system safe: systemic risk, bank capital, non-performing loans, local "
     "government debt and the resolution of troubled institutions.",
     ["financial stability", "systemic risk", "financial risk", "risk prevention",
      "non-performing", "bad loans", "capital adequacy", "local government debt",
      "hidden debt", "risk resolution", "stress test", "contagion", "default"]),
    ("capital-markets", "Capital markets",
     "Markets for stocks and bonds: listings and IPOs, exchanges, funds, securities firms "
     "and investors.",
     ["capital market", "stock market", "stocks", "shares", "bond market", "listing",
      "listings", "IPO", "initial public offering", "stock exchange", "securities",
      "investors", "mutual fund", "equity market", "A-share", "A-shares", "STAR Market",
      "stock exchange", "bourse", "float shares", "private equity", "specialized board",
      "startup board", "listed firms", "capital markets", "foreign capital"]),
    ("foreign-exchange", "Foreign exchange and the RMB",
     "The currency and money across borders: exchange rates, capital flows, reserves and the "
     "international use of the renminbi.",
     ["exchange rate", "foreign exchange", "forex", "yuan", "renminbi", "RMB",
      "cross-border", "capital flows", "currency", "depreciation", "appreciation",
      "foreign reserves", "dollar", "internationalization", "rupiah", "peso", "yen",
      "won", "baht", "ringgit", "exchange rates"]),
    ("real-estate", "Real estate",
     "The property sector: housing markets, mortgages and property developers.",
     ["real estate", "property market", "property sector", "housing", "mortgage",
      "home loans", "developers", "property developers", "home buyers"]),
    ("insurance-and-pensions", "Insurance and pensions",
     "Insurers, pension funds, annuities and social security.",
     ["insurance", "insurer", "insurers", "pension", "pensions", "annuity",
      "social security", "retirement"]),
    ("fiscal-policy", "Fiscal policy",
     "Government spending, taxation and borrowing, including treasury and special bonds.",
     ["fiscal policy", "fiscal", "government spending", "tax", "taxes", "tax cuts",
      "treasury bonds", "government bonds", "special bonds", "budget", "deficit",
      "ultra-long special treasury bonds"]),
    ("economic-outlook", "Economic outlook",
     "Where the economy is heading: growth, prices, consumption, trade and the priorities "
     "set for economic work.",
     ["economic growth", "GDP", "growth target", "inflation", "consumer prices", "CPI",
      "consumption", "domestic demand", "exports", "economic outlook", "economy",
      "economic work", "recovery", "slowdown", "high-quality development", "economic growth",
      "wages", "output gap", "globalization", "economic transformation", "growth drivers",
      "economic status", "household debt", "prices"]),
    ("international-cooperation", "International cooperation",
     "Finance across borders between governments and institutions: the G20, IMF, BIS, "
     "bilateral agreements and the opening-up of the financial sector.",
     ["international cooperation", "G20", "IMF", "BIS", "World Bank", "bilateral",
      "memorandum of understanding", "MoU", "opening-up", "opening up", "Belt and Road",
      "multilateral", "cooperation agreement", "swap agreement", "RCEP", "Boao Forum",
      "global governance", "two nations", "longstanding partners", "foreign investors"]),
]


def load(apps, schema_editor):
    Topic = apps.get_model("archive", "Topic")
    for slug, name, description, keywords in TOPICS:
        Topic.objects.update_or_create(
            slug=slug,
            defaults={"name": name, "description": description, "keywords": "\n".join(keywords)},
        )


def unload(apps, schema_editor):
    apps.get_model("archive", "Topic").objects.filter(slug__in=[t[0] for t in TOPICS]).delete()


class Migration(migrations.Migration):
    dependencies = [("archive", "0002_search_storage")]

    operations = [migrations.RunPython(load, unload)]
