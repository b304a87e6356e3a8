# Datasets: read once (torchvision, the CIFAR-10 subset npz or synthetic XOR) into a tensor file.
# The data folder comes from config `data_root` through LTH_DATA_ROOT (see common.smk).


rule data:
    output:
        "results/data/{dataset}.safetensors",
    log:
        "results/logs/data/{dataset}.log",
    conda:
        "../../envs/lth.yaml"
    resources:
        # above the cluster default of 1 GB that a job without inputs gets: reading MNIST took 0.85 GB
        # (peak resident memory), and CIFAR-10's images are three times the bytes
        mem_mb=4000,
    params:
        code=code_version("data"),
    shell:
        "lth data --dataset {wildcards.dataset} --out {output} > {log} 2>&1"
