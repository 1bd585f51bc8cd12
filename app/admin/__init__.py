"""Administration: users, campaigns, the questionnaire builder and XLSForm, the audit log
viewer, QR codes and their bundle, database backup."""
