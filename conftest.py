"""nbval settings for the notebook test (`pytest --nbval`, see pytest.ini)."""


def pytest_collectstart(collector):
    # Library warnings and logs on stderr vary between machines and versions; stdout and results
    # are compared, and the stored notebook is checked to hold no stderr at all.
    if collector.path.suffix == ".ipynb":
        collector.skip_compare += ("stderr",)
