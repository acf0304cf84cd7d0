"""Provider clients (custom HTTPS, SageMaker), signed asset URLs and Test Connection. Qt-free."""
