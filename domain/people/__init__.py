"""People and their roles: who may work on a store, granted and revoked by an administrator as
events of the log (``person.py``), the store's first administrator (``founding.py``), the
service both front ends call (``service.py``) and the people read model (``views.py``)."""
