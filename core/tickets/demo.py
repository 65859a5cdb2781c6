def load(session):
    pass
