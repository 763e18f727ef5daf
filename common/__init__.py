"""Plain helpers shared by every app, with no models of their own (layer 1 of DESIGN.md):
roles and permissions, pagination, spreadsheets and CSV, bulk SQL, form rendering, the
admin's access rule, the client address behind proxies. Nothing here imports an app."""
