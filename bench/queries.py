"""A realistic mix of Spanish and English queries for latency benchmarks (50: 25 + 25).

Written for this benchmark: short keyword queries and full questions, as people type them
into a practice search page, over the topics of the Global Compact for Migration.
"""

from __future__ import annotations

QUERIES_ES: tuple[str, ...] = (
    "integración de migrantes venezolanos en el mercado laboral",
    "¿cómo acceden los migrantes en situación irregular a los servicios de salud?",
    "regularización migratoria",
    "protección de niños, niñas y adolescentes no acompañados",
    "trata de personas y tráfico ilícito de migrantes",
    "inclusión financiera y remesas",
    "retorno voluntario y reintegración sostenible",
    "alternativas a la detención migratoria",
    "documentos de identidad para personas migrantes",
    "¿qué hacen los gobiernos locales para recibir a los refugiados?",
    "acceso a la educación de niños migrantes",
    "xenofobia y discriminación contra migrantes",
    "datos y estadísticas sobre migración",
    "reconocimiento de títulos y competencias profesionales",
    "cambio climático y desplazamiento",
    "asistencia consular en el extranjero",
    "migración laboral temporal y reclutamiento ético",
    "violencia de género en la ruta migratoria",
    "alianzas entre ONG y universidades para investigar",
    "participación de la diáspora en el desarrollo",
    "gestión de fronteras con enfoque de derechos humanos",
    "personas migrantes desaparecidas",
    "acceso a la justicia",
    "vivienda para familias migrantes en Perú",
    "salud mental y apoyo psicosocial",
)

QUERIES_EN: tuple[str, ...] = (
    "labour market integration of refugees",
    "how do cities support newly arrived migrants?",
    "regular pathways for migration",
    "unaccompanied migrant children protection",
    "combating human trafficking",
    "remittances and financial inclusion",
    "assisted voluntary return and reintegration",
    "alternatives to immigration detention",
    "legal identity documents for migrants",
    "access to basic services for undocumented migrants",
    "school enrolment of migrant children",
    "countering xenophobia and hate speech",
    "improving migration data collection",
    "skills recognition and qualification",
    "climate-induced displacement",
    "consular protection and assistance",
    "fair and ethical recruitment of migrant workers",
    "gender-based violence against migrant women",
    "partnership between NGOs and universities for research",
    "diaspora engagement for development",
    "human rights based border management",
    "missing migrants and search for families",
    "access to justice for migrants",
    "lessons learned from a pilot project",
    "what were the results of the evaluation?",
)

QUERIES: tuple[str, ...] = QUERIES_ES + QUERIES_EN


def distinct_variants(queries: tuple[str, ...] | list[str], per_query: int = 4) -> list[str]:
    """Up to `per_query` spellings of each query (as typed, lower case, upper case, with a
    full stop), without repeats, interleaved query by query. A load run that sends each text
    once is never answered from the server's query-embedding cache."""
    out: dict[str, None] = {}
    makers = (lambda q: q, str.lower, str.upper, lambda q: q + ".")
    for make in makers[:per_query]:
        for q in queries:
            out.setdefault(make(q), None)
    return list(out)
